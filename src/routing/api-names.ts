// Api key names for logs and metric labels, from the codec's api table.
import { APIS } from '../codec/index.js';

const NAMES: (string | undefined)[] = [];
for (const a of APIS) NAMES[a.apiKey] = a.name;

/** `Produce` for 0, and so on; undefined for an api key the codec does not know. */
export function apiName(apiKey: number): string | undefined {
  return apiKey >= 0 ? NAMES[apiKey] : undefined;
}
