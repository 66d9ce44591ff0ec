// The split shared by every api whose request is a list of entries (topics, groups, config
// resources, coordinator keys) each decided on its own: entries denied are answered with their
// error, the rest are forwarded, and the answer is put together in the client's order, each
// entry where the client had it. Answer entries the client did not ask for (a broker adds
// none, but one that did is not second-guessed) go at the end. This is franz-go's sharder
// shape: what an entry is, the request for some entries, the answer to a denied entry, merge.
import type { ApiKeyNumber, RequestOf, ResponseOf, SplitAnswer } from './api-call.js';

/** A field of `R` holding a list of `A`. */
export type ListField<R, A> = { [F in keyof R]: R[F] extends A[] ? F : never }[keyof R];

export interface EntrySplitSpec<K extends ApiKeyNumber, Q, A> {
  /** The request's entries in the client's order. */
  readonly entries: readonly Q[];
  /** The error an entry is denied with, or 0 when it is allowed. */
  errorOf(entry: Q): number;
  /** The request carrying only `allowed` (never empty). */
  requestWith(allowed: Q[]): RequestOf<K>;
  /** The answer to a denied entry. */
  deniedAnswer(entry: Q, errorCode: number): A;
  /** The answer when nothing is allowed, without entries; they are added to it. */
  emptyResponse(): ResponseOf<K>;
  /** The response field that lists the answers. */
  readonly answerList: ListField<ResponseOf<K>, A>;
  /** How a request entry and its answer are matched (a topic name or id, a group id). */
  requestKey(entry: Q): string;
  answerKey(answer: A): string;
}

/** Splits by entry; null when every entry is allowed. */
export function splitEntries<K extends ApiKeyNumber, Q, A>(spec: EntrySplitSpec<K, Q, A>): SplitAnswer<K> | null {
  const errors = spec.entries.map((e) => spec.errorOf(e));
  if (errors.every((code) => code === 0)) return null;
  const allowed = spec.entries.filter((_, i) => errors[i] === 0);
  return {
    allowed: allowed.length === 0 ? null : spec.requestWith(allowed),
    answerAll(): ResponseOf<K> {
      const response = spec.emptyResponse();
      setAnswers(response, spec.answerList, spec.entries.map((e, i) => spec.deniedAnswer(e, errors[i])));
      return response;
    },
    merge(response: ResponseOf<K>): ResponseOf<K> {
      setAnswers(response, spec.answerList, mergeInClientOrder(spec, errors, answersOf(response, spec.answerList)));
      return response;
    },
  };
}

/** What merging answers back into the client's order needs to know. */
export type MergeSpec<Q, A> = Pick<EntrySplitSpec<ApiKeyNumber, Q, A>, 'entries' | 'deniedAnswer' | 'requestKey' | 'answerKey'>;

/** The answers in the client's order: `errors[i]` non-zero answers entry i here, else its answer is taken from `answers`. */
export function mergeInClientOrder<Q, A>(spec: MergeSpec<Q, A>, errors: readonly number[], answers: A[]): A[] {
  const byKey = new Map<string, A[]>();
  for (const a of answers) {
    const key = spec.answerKey(a);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [a]);
    else list.push(a);
  }
  const merged: A[] = [];
  spec.entries.forEach((entry, i) => {
    if (errors[i] !== 0) {
      merged.push(spec.deniedAnswer(entry, errors[i]));
      return;
    }
    const found = byKey.get(spec.requestKey(entry))?.shift();
    if (found !== undefined) merged.push(found);
  });
  for (const rest of byKey.values()) merged.push(...rest);
  return merged;
}

function answersOf<R, A>(response: R, field: ListField<R, A>): A[] {
  return response[field] as A[];
}

function setAnswers<R, A>(response: R, field: ListField<R, A>, answers: A[]): void {
  (response[field] as A[]) = answers;
}
