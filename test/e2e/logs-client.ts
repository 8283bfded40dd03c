import type { JobStatusView } from '@rjs/core';
import { http, jobReaches } from './scheduler-app';

/** A job body whose job program prints "attempt <a> line <i>" `count` times (see test/fixtures/job-program.js). */
export const printing = (count: number, more: Record<string, string> = {}) => ({ variables: { LINES: String(count), ...more } });

/** One real GET of a logs route: status, type and the whole text. */
export async function getText(base: string, path: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(base + path);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** Posts a job and waits until it has the status. */
export async function ranJob(base: string, body: object, status = 'Succeeded'): Promise<JobStatusView> {
  const created = await http<JobStatusView>(base, 'POST', '/api/v1/jobs', body);
  if (created.status !== 200) throw new Error(`POST /api/v1/jobs answered ${created.status}`);
  return jobReaches(base, created.body.name, status);
}

/**
 * Follows a job's logs (`?follow=true`) to the end of the answer; also tells the job's status when
 * the first chunk came, to show that lines came while it ran.
 */
export async function followLogs(base: string, jobName: string): Promise<{ status: number; text: string; jobStatusAtFirstChunk: string }> {
  const response = await fetch(`${base}/api/v1/jobs/${jobName}/logs?follow=true`);
  const reader = response.body!.getReader();
  const first = await reader.read();
  const jobStatusAtFirstChunk = (await http<JobStatusView>(base, 'GET', `/api/v1/jobs/${jobName}`)).body.status;
  let text = first.done ? '' : Buffer.from(first.value).toString();
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += Buffer.from(next.value).toString();
  return { status: response.status, text, jobStatusAtFirstChunk };
}
