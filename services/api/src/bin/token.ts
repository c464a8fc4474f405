import { signDevToken } from '../auth/sign-token.js';
import { loadConfig } from '../config.js';

/*
 * Prints a token accepted by an API started with the same environment: `npm run token -- alice`;
 * `npm run token -- --operator ops` adds the operator role (bulk jobs).
 */
const args = process.argv.slice(2);
const operator = args.includes('--operator');
const [subject, ttlArg] = args.filter((a) => a !== '--operator');
if (subject === undefined || subject.startsWith('-')) {
  process.stderr.write('usage: npm run token -- [--operator] <subject> [ttl-seconds]\n');
  process.exitCode = 2;
} else {
  const config = loadConfig(process.env);
  if (config.auth.jwtSecret === undefined) {
    process.stderr.write('AUTH_JWKS_URL is set: tokens come from your identity provider\n');
    process.exitCode = 2;
  } else {
    const ttl = ttlArg === undefined ? 3600 : Number(ttlArg);
    process.stdout.write(
      `${await signDevToken({
        secret: config.auth.jwtSecret,
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        subject,
        ttlSeconds: ttl,
        ...(operator ? { roles: ['operator'] } : {}),
      })}\n`,
    );
  }
}
