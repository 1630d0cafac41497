import { SignJWT } from 'jose';

/** Signs a dev-mode token (HS256, a day long) for the demo page and local trials. */
export function signDevToken(secret: string, userId: string, ttlSeconds = 86_400): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(secret));
}
