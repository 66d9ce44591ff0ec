// The zone part of the configuration: the zone names, the zone of each listener, the source
// CIDR map, and the cross-checks that every zone named anywhere is a declared one.
import { z } from 'zod';
import { parseCidr } from './cidr-zone-map.js';

/** The label value metrics use for "no zone", so no zone may be called that. */
export const NO_ZONE_LABEL = 'none';

export const zoneNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
  .refine((s) => s !== NO_ZONE_LABEL, `"${NO_ZONE_LABEL}" is reserved for clients without a zone`);

export const zoneFields = {
  /** Every availability zone Turnout knows. Zones named elsewhere must be declared here. */
  zones: z
    .array(zoneNameSchema)
    .default([])
    .superRefine((zones, ctx) => {
      const seen = new Set<string>();
      zones.forEach((zone, i) => {
        if (seen.has(zone)) ctx.addIssue({ code: 'custom', path: [i], message: `zone "${zone}" is listed twice` });
        seen.add(zone);
      });
    }),
  clientZones: z
    .object({
      /** Client source range (CIDR, IPv4 or IPv6) → zone; the longest matching prefix wins. */
      cidrs: z.record(z.string(), zoneNameSchema).default({}),
    })
    .strict()
    .default({ cidrs: {} }),
};

type AddIssue = (path: PropertyKey[], message: string) => void;

export interface ZoneCheckInput {
  zones: readonly string[];
  listeners: ReadonlyArray<{ zone?: string | undefined }>;
  clientZones: { cidrs: Readonly<Record<string, string>> };
  backends: ReadonlyArray<{ rackZones: Readonly<Record<string, string>> }>;
}

/**
 * Checks that listeners and CIDRs name declared zones and that every CIDR parses, once
 * (two spellings of one range with different zones would make the answer depend on order).
 * Backends' rackZones predate `zones` and are checked only once zones are declared.
 */
export function checkZones(config: ZoneCheckInput, addIssue: AddIssue): void {
  const declared = new Set(config.zones);
  const listing = config.zones.length === 0 ? 'none declared in zones' : `declared: ${config.zones.join(', ')}`;
  const unknown = (zone: string): string => `names no declared zone: "${zone}" (${listing})`;

  config.listeners.forEach((l, i) => {
    if (l.zone !== undefined && !declared.has(l.zone)) addIssue(['listeners', i, 'zone'], unknown(l.zone));
  });

  const ranges = new Map<string, { written: string; zone: string }>();
  for (const [written, zone] of Object.entries(config.clientZones.cidrs)) {
    const path = ['clientZones', 'cidrs', written];
    const parsed = parseCidr(written);
    if (!parsed.ok) {
      addIssue(path, parsed.reason);
      continue;
    }
    if (!declared.has(zone)) addIssue(path, unknown(zone));
    const same = ranges.get(parsed.range.text);
    if (same !== undefined && same.zone !== zone) {
      addIssue(path, `is the range ${same.written} again, with another zone ("${zone}" vs "${same.zone}")`);
    }
    ranges.set(parsed.range.text, { written, zone });
  }

  if (config.zones.length === 0) return;
  config.backends.forEach((b, i) => {
    for (const [rack, zone] of Object.entries(b.rackZones)) {
      if (!declared.has(zone)) addIssue(['backends', i, 'rackZones', rack], unknown(zone));
    }
  });
}
