import { hash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import stringify from 'safe-stable-stringify';
import { badRequest, type IdempotentRequest } from '@rjs/core';

const MAX_KEY_LENGTH = 255;

/**
 * The Idempotency-Key of a create request (IETF httpapi draft: a Structured Field string, e.g.
 * `"8e03978e-40d5"`; the bare form `8e03978e-40d5` many clients send is taken too), with the
 * fingerprint of the request: a SHA-256 of the route and the body as parsed, its keys sorted
 * (safe-stable-stringify), so that the same JSON written in another key order or spacing is the
 * same request. undefined without the header; a bad key is a 400 that changes nothing.
 */
export function idempotentRequest(request: FastifyRequest, route: string): IdempotentRequest | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const raw = (Array.isArray(header) ? header.join(',') : header).trim();
  const quoted = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(raw);
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : raw;
  if (key === '' || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key) || (!quoted && /[",]/.test(key))) {
    throw badRequest(`the Idempotency-Key header must be one string of 1 to ${MAX_KEY_LENGTH} printable ASCII characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"`);
  }
  return { key, fingerprint: requestFingerprint(route, request.body ?? {}) };
}

/** A SHA-256 of the route and the body, its keys sorted (safe-stable-stringify). */
export function requestFingerprint(route: string, body: unknown): string {
  return hash('sha256', `${route}\n${stringify(body)}`, 'base64url');
}

/** The header in the OpenAPI document of both create routes. */
export const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Extension (IETF httpapi Idempotency-Key draft): the same key with the same request within 24 hours answers what the first created, ' +
    'with its current status, and creates nothing; with another request 422; while the first is still processed 409.',
  schema: { type: 'string', maxLength: MAX_KEY_LENGTH },
};
