import { type ClientRequest, request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { eventually } from './eventually';

export interface SseEvent {
  id?: string;
  /** The `event:` field; undefined for the default type (message). */
  type?: string;
  data: string;
}

/**
 * A Server-Sent Events client over a real HTTP connection (node:http), parsed by eventsource-parser:
 * it collects events until closed. Unlike an EventSource it lets a test choose when to reconnect and
 * with which Last-Event-ID. (Not fetch: undici opens a spare connection that sends no request, which
 * a closing server then waits out for its keep-alive timeout.)
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private request?: ClientRequest;
  private done?: Promise<void>;

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = (client.request = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
        client.status = response.statusCode ?? 0;
        client.contentType = String(response.headers['content-type'] ?? '');
        const parser = createParser({ onEvent: (event) => client.events.push({ id: event.id, type: event.event, data: event.data }) });
        response.setEncoding('utf8');
        client.done = new Promise((ended) => {
          const end = () => {
            client.ended = true;
            ended();
          };
          response.on('data', (chunk: string) => parser.feed(chunk));
          response.once('end', end);
          response.once('close', end);
          response.once('error', end);
        });
        resolve(client);
      }));
      req.once('error', reject);
      req.end();
    });
  }

  /** The documents received (JSON). */
  documents<T = Record<string, unknown>>(): T[] {
    return this.events.map((event) => JSON.parse(event.data) as T);
  }

  waitFor(count: number, what = `${count} events`): Promise<unknown> {
    return eventually(() => this.events.length >= count, () => `${what}; got ${this.events.length}: ${this.events.map((e) => e.data.slice(0, 80)).join(' | ')}`);
  }

  async close(): Promise<void> {
    this.request?.destroy();
    await this.done;
  }
}
