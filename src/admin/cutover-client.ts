// A client of the cutover commands of Turnout's admin API, as an operator's script calls them:
// POST /v1/cutovers {domain, to?, dryRun?, drainTimeoutMs?}, GET /v1/cutovers/{id} (phase
// PLANNED|PREPARED|HOLDING|DRAINED|SWITCHED|ROLLED_BACK), POST /v1/cutovers/{id}/abort, and
// GET /v1/cutovers?domain=NAME for a domain's segment chains. A watcher follows one cutover to
// its end and notes when it saw each phase, so that the hold (HOLDING until SWITCHED or
// ROLLED_BACK) can be matched with the clients' produce latencies. The demo, the cutover
// benchmark and the integration tests use it.
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

/** One segment of a partition's chain as the API writes it (offsets as decimal strings). */
export interface SegmentJson {
  backend: string;
  firstOffset: string;
  shift: string;
  generation: number;
}

function isSegmentJson(v: unknown): v is SegmentJson {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.backend === 'string' && typeof s.firstOffset === 'string' && typeof s.shift === 'string' && Number.isInteger(s.generation);
}

function isChains(v: unknown): v is Record<string, Array<SegmentJson[] | null>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((partitions) => Array.isArray(partitions) && partitions.every((c) => c === null || (Array.isArray(c) && c.every(isSegmentJson))));
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
    // A build without the route answers an unknown POST with 405 (and an unknown GET with 404).
    if (res.status === 404 || res.status === 405) throw new CutoverApiMissingError(this.adminUrl, res.status, text);
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
   * GET /v1/cutovers?domain=NAME: the domain's segment chains, topic → partition → segments
   * (null for a partition without a chain). Null when the answer carries none (before the
   * domain's first cutover, or an API that does not list them).
   */
  async domainChains(domain: string): Promise<Record<string, Array<SegmentJson[] | null>> | null> {
    const res = await fetch(`${this.adminUrl}/v1/cutovers?domain=${encodeURIComponent(domain)}`);
    const text = await res.text();
    if (res.status === 404) return null;
    if (!res.ok) throw new CutoverApiError(`GET /v1/cutovers?domain=${domain}`, res.status, text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CutoverApiError(`GET /v1/cutovers?domain=${domain}: not JSON`, res.status, text);
    }
    const chains = (body as { segments?: { chains?: unknown } | null }).segments?.chains;
    return isChains(chains) ? chains : null;
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

/** Where one partition's new segment begins, as a switched cutover's record gives it. */
export interface SwitchPointFacts {
  topic: string;
  partition: number;
  /** The new segment's first virtual offset. */
  firstOffset: bigint;
  /** virtual = the target's real offset + shift, in the new segment. */
  shift: bigint;
}

/** What the demo and reports read of a cutover answer beyond id and phase; absent fields read as null or empty. */
export interface CutoverFacts {
  from: string | null;
  to: string | null;
  /** When the cutover entered each phase (ms since the epoch), as Turnout recorded it. */
  phaseAtMs: Partial<Record<CutoverPhase, number>>;
  /** HOLDING until SWITCHED or ROLLED_BACK, as Turnout recorded it. */
  holdMs: number | null;
  switchPoints: SwitchPointFacts[];
  /** Topic → leader epoch generation of the segment the cutover appended. */
  generations: Record<string, number>;
  rollbackReason: string | null;
}

function integerString(v: unknown): bigint | null {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : null;
}

/** Reads a cutover answer's from, to, phase times, hold, switch points and rollback reason. */
export function cutoverFacts(s: CutoverStatus): CutoverFacts {
  const phaseAtMs: Partial<Record<CutoverPhase, number>> = {};
  const times = s.phaseAtMs;
  if (typeof times === 'object' && times !== null) {
    for (const [phase, at] of Object.entries(times)) if (isPhase(phase) && typeof at === 'number') phaseAtMs[phase] = at;
  }
  const timings = s.timings as { holdMs?: unknown } | undefined;
  const held = phaseAtMs.HOLDING;
  const ended = phaseAtMs.SWITCHED ?? phaseAtMs.ROLLED_BACK;
  const holdMs = typeof timings?.holdMs === 'number' ? timings.holdMs : held !== undefined && ended !== undefined ? Math.max(0, ended - held) : null;
  const switchPoints: SwitchPointFacts[] = [];
  for (const p of Array.isArray(s.switchPoints) ? (s.switchPoints as unknown[]) : []) {
    const point = p as Record<string, unknown>;
    const firstOffset = integerString(point.firstOffset);
    const shift = integerString(point.shift);
    if (typeof point.topic === 'string' && Number.isInteger(point.partition) && firstOffset !== null && shift !== null) {
      switchPoints.push({ topic: point.topic, partition: point.partition as number, firstOffset, shift });
    }
  }
  const generations: Record<string, number> = {};
  if (typeof s.generations === 'object' && s.generations !== null) {
    for (const [topic, g] of Object.entries(s.generations)) if (Number.isInteger(g)) generations[topic] = g as number;
  }
  return {
    from: typeof s.from === 'string' ? s.from : null,
    to: typeof s.to === 'string' ? s.to : null,
    phaseAtMs,
    holdMs,
    switchPoints,
    generations,
    rollbackReason: typeof s.rollbackReason === 'string' ? s.rollbackReason : null,
  };
}
