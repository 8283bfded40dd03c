import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock, NotificationOutbox, StatusStore } from '@rjs/core';
import { BullMqNotificationQueue, type BullMqWorkQueue } from '@rjs/queue';
import type { Logger } from './logging';
import { CLOCK, LOGGER, NOTIFICATION_OUTBOX, STATUS_STORE, WORK_QUEUE } from './tokens';

/** How a webhook delivery attempt ended. */
export type DeliveryResult = 'delivered' | 'failed' | 'gone' | 'dead';

/**
 * The BullMQ states /metrics reports a depth for. Launches wait in `prioritized` (every launch has
 * a BullMQ priority, libs/queue bullPriority); `waiting` holds stops and removals, and launches
 * queued before priorities existed.
 */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

/** Dispatch and status lag: from well under a second up to the minutes a throttled API server may take. */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The Prometheus metrics of one app instance, in a registry of its own (tests run several apps in
 * one process). Gauges that read Redis do so at scrape time; the other roles feed the rest through
 * the observe and count methods.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly dispatchLatency: Histogram;
  private readonly statusLag: Histogram;
  private readonly kubernetesApiErrors: Counter<'code'>;
  private readonly retentionRemoved: Counter;
  private readonly storeFullRefusals: Counter;
  private readonly deliveries: Counter<'result'>;
  private readonly deliveryLatency: Histogram;

  constructor(
    @Inject(WORK_QUEUE) queue: BullMqWorkQueue,
    @Inject(STATUS_STORE) store: StatusStore,
    @Inject(LOGGER) logger: Logger,
    @Inject(CLOCK) clock: Clock,
    @Optional() notifications?: BullMqNotificationQueue,
    @Optional() @Inject(NOTIFICATION_OUTBOX) outbox?: NotificationOutbox,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.httpRequestDuration = new Histogram({
      name: 'rjs_http_request_duration_seconds',
      help: 'HTTP request durations by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.dispatchLatency = new Histogram({
      name: 'rjs_dispatch_latency_seconds',
      help: 'Time from a job being accepted to the runtime having created it',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.statusLag = new Histogram({
      name: 'rjs_status_lag_seconds',
      help: 'Time from the runtime reporting a change to the status record being written',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.kubernetesApiErrors = new Counter({
      name: 'rjs_kubernetes_api_errors_total',
      help: 'Failed Kubernetes API calls by HTTP status code (or error code when there was no response)',
      labelNames: ['code'],
      registers,
    });

    this.retentionRemoved = new Counter({
      name: 'rjs_retention_removed_jobs_total',
      help: 'Job records removed by retention (RETENTION_SECONDS after their batch ended), with their batch records',
      registers,
    });
    this.storeFullRefusals = new Counter({
      name: 'rjs_store_full_refusals_total',
      help: 'Requests answered 503 because Redis refused a write for want of memory (maxmemory reached)',
      registers,
    });

    this.deliveries = new Counter({
      name: 'rjs_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result: delivered (2xx), failed (will be retried), gone (410, not sent again), dead (given up after the retry time: a dead letter)',
      labelNames: ['result'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'rjs_webhook_delivery_latency_seconds',
      help: 'Time from a change being recorded to the webhook answering 2xx for it (the oldest change of a delivery)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'rjs_webhook_backlog_batches',
      help: 'Batches with changes not yet delivered to the webhook, read at scrape time',
      registers,
      async collect() {
        this.reset();
        try {
          if (outbox) this.set(await outbox.backlog());
        } catch (error) {
          logger.debug({ err: error }, 'the webhook backlog left out of the scrape');
        }
      },
    });

    // A scrape while Redis is down still serves the process metrics; these series are left out.
    const queues = [...queue.queues, ...(notifications ? [notifications.queue] : [])];
    new Gauge({
      name: 'rjs_queue_jobs',
      help: 'BullMQ jobs per queue and state, read at scrape time',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        try {
          const counts = await Promise.all(queues.map((q) => q.getJobCounts(...QUEUE_STATES)));
          queues.forEach((q, i) => QUEUE_STATES.forEach((state) => this.set({ queue: q.name, state }, counts[i][state] ?? 0)));
        } catch (error) {
          logger.debug({ err: error }, 'queue depths left out of the scrape');
        }
      },
    });
    new Gauge({
      name: 'rjs_jobs',
      help: 'Job records by status, read at scrape time',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const [status, count] of Object.entries(await store.countByStatus())) this.set({ status }, count);
        } catch (error) {
          logger.debug({ err: error }, 'job counts left out of the scrape');
        }
      },
    });
    new Gauge({
      name: 'rjs_active_slots',
      help: 'Launch slots in use: jobs launched (or being launched) and not yet final, counted against MAX_ACTIVE_JOBS; read at scrape time',
      registers,
      async collect() {
        this.reset();
        try {
          this.set(await store.slotsInUse());
        } catch (error) {
          logger.debug({ err: error }, 'slots in use left out of the scrape');
        }
      },
    });
    new Gauge({
      name: 'rjs_oldest_finished_age_seconds',
      help: 'Time since the batch or single job that finished longest ago ended (0 when none is stored); well above RETENTION_SECONDS, retention lags',
      registers,
      async collect() {
        this.reset();
        try {
          const oldest = await store.oldestFinished();
          this.set(oldest ? Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000) : 0);
        } catch (error) {
          logger.debug({ err: error }, 'the oldest finished record left out of the scrape');
        }
      },
    });
  }

  /** One webhook delivery attempt: delivered (2xx), failed (retried), gone (410: not sent again), dead (given up). */
  countDelivery(result: DeliveryResult): void {
    this.deliveries.inc({ result });
  }

  /** Change recorded -> its delivery answered 2xx. */
  observeDeliveryLatency(seconds: number): void {
    this.deliveryLatency.observe(seconds);
  }

  /** Job records that retention removed. */
  countRetentionRemoved(jobs: number): void {
    this.retentionRemoved.inc(jobs);
  }

  /** A request refused because Redis is out of memory. */
  countStoreFull(): void {
    this.storeFullRefusals.inc();
  }

  /** Accepted -> created in the runtime. */
  observeDispatchLatency(seconds: number): void {
    this.dispatchLatency.observe(seconds);
  }

  /** Observed by the runtime -> written to the status record. */
  observeStatusLag(seconds: number): void {
    this.statusLag.observe(seconds);
  }

  /** One failed Kubernetes API call: its HTTP status, or an error code such as ECONNREFUSED. */
  countKubernetesApiError(code: number | string): void {
    this.kubernetesApiErrors.inc({ code: String(code) });
  }

  observeHttpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpRequestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
