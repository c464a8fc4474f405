import { serviceTestConfig } from '@zocket/testkit/vitest';

// `unit` only: this package has no integration tests.
export default serviceTestConfig({ integration: false });
