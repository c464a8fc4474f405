import { SignJWT } from 'jose';

/** Signs an HS256 token for local use (the `npm run token` command and tests). */
export function signDevToken(args: {
  secret: string;
  issuer: string;
  audience: string;
  subject: string;
  name?: string;
  ttlSeconds?: number;
  /** The `roles` claim, e.g. ['operator']. */
  roles?: string[];
}): Promise<string> {
  return new SignJWT({
    ...(args.name === undefined ? {} : { name: args.name }),
    ...(args.roles === undefined ? {} : { roles: args.roles }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(args.subject)
    .setIssuer(args.issuer)
    .setAudience(args.audience)
    .setIssuedAt()
    .setExpirationTime(`${args.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(args.secret));
}
