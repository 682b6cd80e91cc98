import http from 'node:http';
import { FakeAuthentik, type FakeAuthentikOptions } from '../../../sandbox/authentik';

/** A started fake and a small HTTP client for it. */
export interface Harness {
  fake: FakeAuthentik;
  base: string;
  /** Sends a JSON request with the default token unless `headers` replaces the Authorization header. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
  stop(): Promise<void>;
}

export interface CallResult {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON, or undefined when empty. */
  body: unknown;
  headers: Headers;
}

export const TOKEN = 'ak-test-token';

export async function startFake(options: FakeAuthentikOptions = {}): Promise<Harness> {
  const fake = new FakeAuthentik(options);
  const base = await fake.start();
  return {
    fake,
    base,
    async call(method, path, body, headers) {
      const requestHeaders: Record<string, string> = { Authorization: `Bearer ${options.token ?? TOKEN}`, ...headers };
      if (body !== undefined) requestHeaders['Content-Type'] = 'application/json';
      const response = await fetch(base + path, {
        method,
        headers: requestHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = undefined;
      if (text !== '') {
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          parsed = text;
        }
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    stop: () => fake.stop(),
  };
}

/**
 * GET with a chosen Host header (fetch does not let a caller set it). The connection still goes
 * to the fake on 127.0.0.1, and only the header differs.
 */
export function getWithHost(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: Number(url.port), path, method: 'GET', headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Returns a valid provider body for this fake: the seeded flows and a strict redirect URI. */
export function providerBody(fake: FakeAuthentik, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'espocrm-sales',
    authorization_flow: fake.flow('default-provider-authorization-explicit-consent').pk,
    invalidation_flow: fake.flow('default-provider-invalidation-flow').pk,
    redirect_uris: [{ matching_mode: 'strict', url: 'https://crm.example.com/oauth-callback.php' }],
    ...overrides,
  };
}

export type Json = Record<string, unknown>;

export function asJson(value: unknown): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  }
  return value as Json;
}

/** `results` of a paginated list body. */
export function results(value: unknown): Json[] {
  return asJson(value).results as Json[];
}
