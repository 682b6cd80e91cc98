import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { type UpstreamCall } from '../http/observer';
import { type JobMetrics } from '../jobs/processor';
import { type FrontMetrics } from '../slack/listeners';

/** The Prometheus series of one process, served at GET /metrics. */
export class Metrics implements FrontMetrics, JobMetrics {
  readonly registry = new Registry();
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly approvals: Counter<'decision'>;
  private readonly applies: Counter<'outcome'>;
  private readonly jobDuration: Histogram<'job' | 'outcome'>;
  private readonly upstreamDuration: Histogram<'system' | 'method' | 'route' | 'status'>;

  /** `defaultMetrics: false` leaves out prom-client's process and Node.js series. */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Without a prefix the default series keep their standard names (process_cpu_seconds_total,
    // nodejs_eventloop_lag_seconds, ...), which ready-made Node.js dashboards query.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.commands = new Counter({
      name: 'espo_sso_commands_total',
      help: 'Slash commands by command and outcome.',
      labelNames: ['command', 'outcome'],
      registers: [this.registry],
    });
    this.approvals = new Counter({
      name: 'espo_sso_approvals_total',
      help: 'Clicks on Approve and Reject by decision (approved, rejected, refused, expired).',
      labelNames: ['decision'],
      registers: [this.registry],
    });
    this.applies = new Counter({
      name: 'espo_sso_applies_total',
      help: 'Applies by outcome (succeeded, failed, rolled_back, drift).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'espo_sso_job_duration_seconds',
      help: 'Duration of queue jobs by job name and outcome, in seconds.',
      labelNames: ['job', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [this.registry],
    });
    this.upstreamDuration = new Histogram({
      name: 'espo_sso_upstream_request_duration_seconds',
      help: 'Duration of calls to authentik and EspoCRM by system, method, route and HTTP status (0: no answer), in seconds.',
      labelNames: ['system', 'method', 'route', 'status'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
  }

  command(name: string, outcome: string): void {
    this.commands.inc({ command: name, outcome });
  }

  approval(decision: string): void {
    this.approvals.inc({ decision });
  }

  applyFinished(outcome: string): void {
    this.applies.inc({ outcome });
  }

  jobFinished(name: string, outcome: string, seconds: number): void {
    this.jobDuration.observe({ job: name, outcome }, seconds);
  }

  /** The upstream observer: pass it to the clients. */
  readonly observeUpstream = (call: UpstreamCall): void => {
    this.upstreamDuration.observe(
      { system: call.system, method: call.method, route: call.route, status: String(call.status) },
      call.durationMs / 1000,
    );
  };

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
