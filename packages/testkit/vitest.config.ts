import { serviceTestConfig } from './src/vitest-projects.js';

// `unit`: no service, no global setup. `integration`: real services.
export default serviceTestConfig({
  testTimeout: 30_000,
  hookTimeout: 60_000,
  globalSetup: './src/global-setup.ts',
});
