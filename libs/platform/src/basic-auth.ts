import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The operator's credentials of Bull Board and the console (BULL_BOARD_USER, BULL_BOARD_PASSWORD). */
export interface OperatorCredentials {
  user: string;
  password: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * An onRequest hook that answers 401 unless the request carries the credentials as HTTP Basic
 * auth. One mechanism for every operator page (Bull Board, the console), so one sign-in serves both.
 */
export function requireBasicAuth({ user, password }: OperatorCredentials, realm: string) {
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
  const expected = sha256(`${user}:${password}`);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
    const given = match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
    if (given !== undefined && timingSafeEqual(sha256(given), expected)) return;
    return reply.code(401).header('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`).send({ message: 'authentication required' });
  };
}
