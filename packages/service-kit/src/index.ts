export { envBool, envCsv, envInt, parseEnv, s3Settings, sharedEnvShape } from './env-schema.js';
