import { serviceTestConfig } from '@zocket/testkit/vitest';

// `unit` only: the client's tests start their own small tRPC server; the client against the real
// system is tested in tests/system.
export default serviceTestConfig({ integration: false });
