import { serviceTestConfig } from '@zocket/testkit/vitest';

// `unit`: no service, no global setup. `integration`: real services.
export default serviceTestConfig({
  testTimeout: 120_000,
  hookTimeout: 60_000,
});
