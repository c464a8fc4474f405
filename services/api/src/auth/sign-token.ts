import { SignJWT } from 'jose';

/** Signs an HS256 token for local use (the `npm run token` command, `POST /dev/token`, tests). */
export function signDevToken(args: {
  secret: string;
  issuer: string;
  audience: string;
  subject: string;
  name?: string;
  /** The `roles` claim; `"operator"` in it makes the caller an operator. */
  roles?: string[];
  ttlSeconds?: number;
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
