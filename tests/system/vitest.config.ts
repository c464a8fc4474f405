import { serviceTestConfig } from '@zocket/testkit/vitest';

// `unit`: no service, no global setup. `integration`: real services.
export default serviceTestConfig({
  testTimeout: 180_000,
  hookTimeout: 180_000,
  unit: false,
});
