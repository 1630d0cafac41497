import { SignJWT } from 'jose';

/** The HS256 secret the bench's Switchboard nodes verify tokens with. */
export const BENCH_SECRET = 'switchboard-bench-secret';

const key = new TextEncoder().encode(BENCH_SECRET);

/** An HS256 JWT with `sub` = userId, valid for two hours. */
export function tokenFor(userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(key);
}
