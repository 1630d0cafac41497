import { SignJWT } from 'jose';

export const TEST_SECRET = 'switchboard-test-secret';

/** An HS256 token for `userId`, as a real identity provider would issue it. */
export function tokenFor(
  userId: string,
  opts: { secret?: string; expiresIn?: string; claims?: Record<string, unknown> } = {},
) {
  let jwt = new SignJWT(opts.claims ?? {}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (userId !== '') jwt = jwt.setSubject(userId);
  return jwt.setExpirationTime(opts.expiresIn ?? '1h').sign(new TextEncoder().encode(opts.secret ?? TEST_SECRET));
}
