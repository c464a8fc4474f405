import { signDevToken } from '../auth/sign-token.js';
import { runReprocess } from '../bulk/reprocess-cli.js';
import { loadConfig } from '../config.js';

/*
 * `npm run reprocess -- ...`: bulk re-rendering from a terminal. The API comes from ZOCKET_API_URL
 * and the token from ZOCKET_TOKEN; without one, a development operator token is signed with the
 * same settings the API uses (AUTH_JWT_SECRET and friends, defaults included).
 */
const apiUrl = process.env.ZOCKET_API_URL ?? 'http://127.0.0.1:8080';
let token = process.env.ZOCKET_TOKEN;
if (token === undefined || token === '') {
  const { auth } = loadConfig(process.env);
  if (auth.jwtSecret === undefined) {
    process.stderr.write(
      'set ZOCKET_TOKEN: AUTH_JWKS_URL is set, so tokens come from your identity provider\n',
    );
    process.exit(2);
  }
  token = await signDevToken({
    secret: auth.jwtSecret,
    issuer: auth.issuer,
    audience: auth.audience,
    subject: 'reprocess-cli',
    roles: ['operator'],
  });
}
let interrupt: (() => void) | undefined;
process.on('SIGINT', () => {
  if (interrupt === undefined) {
    // Before the job is watched (a start may have gone through: bulk.list shows it).
    process.stderr.write('interrupted\n');
    process.exit(130);
  }
  interrupt();
});
process.exitCode = await runReprocess(
  process.argv.slice(2),
  { apiUrl, token },
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stream: process.stdout,
    onInterrupt: (handler) => {
      interrupt = handler;
    },
  },
);
