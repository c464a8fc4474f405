import { signDevToken } from '../auth/sign-token.js';
import { loadConfig } from '../config.js';

/* Prints a token accepted by an API started with the same environment: `npm run token -- alice`. */
const subject = process.argv[2];
if (subject === undefined || subject.startsWith('-')) {
  process.stderr.write('usage: npm run token -- <subject> [ttl-seconds]\n');
  process.exitCode = 2;
} else {
  const config = loadConfig(process.env);
  if (config.auth.jwtSecret === undefined) {
    process.stderr.write('AUTH_JWKS_URL is set: tokens come from your identity provider\n');
    process.exitCode = 2;
  } else {
    const ttl = process.argv[3] === undefined ? 3600 : Number(process.argv[3]);
    process.stdout.write(
      `${await signDevToken({
        secret: config.auth.jwtSecret,
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        subject,
        ttlSeconds: ttl,
      })}\n`,
    );
  }
}
