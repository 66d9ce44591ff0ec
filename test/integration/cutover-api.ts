// The cutover commands of Turnout's admin API, as an operator's script calls them:
// POST /v1/cutovers {domain, to?, dryRun?, drainTimeoutMs?}, GET /v1/cutovers/{id} (phase
// PLANNED|PREPARED|HOLDING|DRAINED|SWITCHED|ROLLED_BACK), POST /v1/cutovers/{id}/abort. A
// watcher follows one cutover to its end and notes when it saw each phase, so that the hold
// (HOLDING until SWITCHED or ROLLED_BACK) can be matched with the clients' produce latencies.
// Free of the test runner, so that the benchmark can use it too.

export const CUTOVER_PHASES = ['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED', 'ROLLED_BACK'] as const;
export type CutoverPhase = (typeof CUTOVER_PHASES)[number];

export interface CutoverRequest {
  domain: string;
  to?: string;
  dryRun?: boolean;
  drainTimeoutMs?: number;
}

/** What GET /v1/cutovers/{id} answers; fields beyond id and phase are kept as they came. */
export interface CutoverStatus {
  id: string;
  phase: CutoverPhase;
  [field: string]: unknown;
}

export class CutoverApiError extends Error {
  constructor(readonly what: string, readonly status: number, readonly body: string) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 1_000)}`);
    this.name = 'CutoverApiError';
  }
}

/** The admin API does not know the cutover commands (this build has no cutover). */
export class CutoverApiMissingError extends Error {
  constructor(readonly adminUrl: string, readonly status: number, readonly body: string) {
    super(`the admin API at ${adminUrl} does not answer POST /v1/cutovers (HTTP ${status}: ${body.trim().slice(0, 200)}): this build of Turnout has no cutover`);
    this.name = 'CutoverApiMissingError';
  }
}

function isPhase(value: unknown): value is CutoverPhase {
  return typeof value === 'string' && (CUTOVER_PHASES as readonly string[]).includes(value);
}

/** A cutover in the answer: the body itself or its `cutover` field, with an id and a known phase. */
function parseStatus(what: string, status: number, text: string): CutoverStatus {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CutoverApiError(`${what}: not JSON`, status, text);
  }
  const record = (typeof body === 'object' && body !== null && 'cutover' in body ? (body as { cutover: unknown }).cutover : body) as Record<string, unknown> | null;
  const id = record?.id;
  if (record === null || (typeof id !== 'string' && typeof id !== 'number') || !isPhase(record.phase)) {
    throw new CutoverApiError(`${what}: no cutover id and phase in the answer`, status, text);
  }
  return { ...record, id: String(id), phase: record.phase };
}

export class CutoverApi {
  constructor(
    readonly adminUrl: string,
    private readonly writeHeaders: Record<string, string>,
  ) {}

  /** POST /v1/cutovers. */
  async start(request: CutoverRequest): Promise<CutoverStatus> {
    const res = await fetch(`${this.adminUrl}/v1/cutovers`, { method: 'POST', headers: this.writeHeaders, body: JSON.stringify(request) });
    const text = await res.text();
    if (res.status === 404) throw new CutoverApiMissingError(this.adminUrl, res.status, text);
    if (!res.ok) throw new CutoverApiError(`POST /v1/cutovers ${JSON.stringify(request)}`, res.status, text);
    return parseStatus('POST /v1/cutovers', res.status, text);
  }

  /** GET /v1/cutovers/{id}. */
  async status(id: string): Promise<CutoverStatus> {
    const res = await fetch(`${this.adminUrl}/v1/cutovers/${encodeURIComponent(id)}`);
    const text = await res.text();
    if (!res.ok) throw new CutoverApiError(`GET /v1/cutovers/${id}`, res.status, text);
    return parseStatus(`GET /v1/cutovers/${id}`, res.status, text);
  }

  /** POST /v1/cutovers/{id}/abort; resolves with the HTTP status and answer, whatever they are. */
  async abort(id: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.adminUrl}/v1/cutovers/${encodeURIComponent(id)}/abort`, { method: 'POST', headers: this.writeHeaders, body: '{}' });
    return { status: res.status, body: await res.text() };
  }

  /**
   * Whether the admin API has the cutover commands: a dry run of moving `domain` must be
   * answered, not refused as an unknown route (404). A dry run changes nothing.
   */
  async ensureAvailable(domain: string): Promise<void> {
    const res = await fetch(`${this.adminUrl}/v1/cutovers`, { method: 'POST', headers: this.writeHeaders, body: JSON.stringify({ domain, dryRun: true }) });
    const text = await res.text();
    if (res.status === 404 || res.status === 405) throw new CutoverApiMissingError(this.adminUrl, res.status, text);
  }
}

/** When the watcher first saw each phase (epoch ms), and how the cutover ended. */
export interface CutoverTimeline {
  id: string;
  /** When POST /v1/cutovers was sent. */
  requestedAtMs: number;
  /** Each phase once: when first seen, and when the poll before that one was answered. */
  seen: Array<{ phase: CutoverPhase; atMs: number; previousPollMs: number }>;
  final: CutoverStatus;
}

export class CutoverTimeoutError extends Error {
  constructor(readonly id: string, readonly timeoutMs: number, readonly last: CutoverStatus | null) {
    super(`cutover ${id} did not end within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
    this.name = 'CutoverTimeoutError';
  }
}

export interface WatchOptions {
  timeoutMs?: number;
  /** Default 10 ms: phases can be short. */
  intervalMs?: number;
  /** Called once when a phase is first seen (to abort in it, to pause an instance, ...). */
  onPhase?: (phase: CutoverPhase, status: CutoverStatus) => void | Promise<void>;
}

const ENDED: readonly CutoverPhase[] = ['SWITCHED', 'ROLLED_BACK'];

/** Follows a started cutover until SWITCHED or ROLLED_BACK. */
export async function watchCutover(api: CutoverApi, started: CutoverStatus, requestedAtMs: number, opts: WatchOptions = {}): Promise<CutoverTimeline> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const seen: CutoverTimeline['seen'] = [];
  let status: CutoverStatus = started;
  let previousPollMs = requestedAtMs;
  for (;;) {
    const now = Date.now();
    if (!seen.some((s) => s.phase === status.phase)) {
      seen.push({ phase: status.phase, atMs: now, previousPollMs });
      await opts.onPhase?.(status.phase, status);
    }
    previousPollMs = now;
    if (ENDED.includes(status.phase)) return { id: started.id, requestedAtMs, seen, final: status };
    if (Date.now() > deadline) throw new CutoverTimeoutError(started.id, timeoutMs, status);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
    status = await api.status(started.id);
  }
}

/** Starts a cutover and follows it to its end. */
export async function runCutover(api: CutoverApi, request: CutoverRequest, opts: WatchOptions = {}): Promise<CutoverTimeline> {
  const requestedAtMs = Date.now();
  return watchCutover(api, await api.start(request), requestedAtMs, opts);
}

const HOLD_OR_LATER: readonly CutoverPhase[] = ['HOLDING', 'DRAINED', ...ENDED];

/**
 * The hold as seen from outside: from the last poll before the watcher first saw HOLDING or a
 * later phase, to the first sight of SWITCHED or ROLLED_BACK. Polling makes it a little longer
 * than the true hold, never shorter, so the latencies "during the hold" include every record
 * the hold delayed.
 */
export function holdWindow(t: CutoverTimeline): { fromMs: number; toMs: number } {
  const from = t.seen.find((s) => HOLD_OR_LATER.includes(s.phase))?.previousPollMs ?? t.requestedAtMs;
  const to = t.seen.find((s) => ENDED.includes(s.phase))?.atMs ?? Date.now();
  return { fromMs: Math.min(from, to), toMs: to };
}
