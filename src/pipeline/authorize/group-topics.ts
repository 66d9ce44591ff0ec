// The decision shared by the batched apis that read a group's offsets per topic (OffsetFetch
// v8+, DescribeShareGroupOffsets): DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED for the
// group), then DESCRIBE on each named topic (TOPIC_AUTHORIZATION_FAILED per partition), while a
// group asked for all its topics shows only those the principal may describe. Groups and
// topics come back in the client's order.
import type { FilterOutcome } from '../filter.js';
import type { ApiCall, ApiKeyNumber, RequestOf, ResponseOf } from './api-call.js';
import { GROUP_AUTHORIZATION_FAILED } from './authorization-errors.js';
import { topicError } from './entry-errors.js';
import { mergeInClientOrder } from './entry-split.js';

interface AskedGroup<T> {
  groupId: string;
  topics: T[] | null;
}

interface AnsweredGroup<A> {
  groupId: string;
  topics: A[];
  errorCode: number;
}

export interface GroupTopicsSpec<K extends ApiKeyNumber, T, A, G extends AnsweredGroup<A>> {
  readonly groups: ReadonlyArray<AskedGroup<T>>;
  askedName(topic: T): string;
  answerName(topic: A): string;
  deniedTopic(topic: T, errorCode: number): A;
  /** A group's answer with only an error (and no topics). */
  groupError(groupId: string, errorCode: number): G;
  /** The request with these groups, and an answer listing these groups. */
  requestWith(groups: AskedGroup<T>[]): RequestOf<K>;
  responseWith(groups: G[]): ResponseOf<K>;
  /** The answer's groups. */
  answeredGroups(response: ResponseOf<K>): G[];
}

export function groupTopicsDecision<K extends ApiKeyNumber, T, A, G extends AnsweredGroup<A>>(call: ApiCall<K>, spec: GroupTopicsSpec<K, T, A, G>): FilterOutcome {
  const { authz } = call;
  const groupAllowed = spec.groups.map((g) => authz.allowed('DESCRIBE', 'GROUP', g.groupId));
  const topicErrors = spec.groups.map((g, i) => (groupAllowed[i] && g.topics !== null ? g.topics.map((t) => topicError(authz, 'DESCRIBE', spec.askedName(t))) : []));
  const deniedGroup = (g: AskedGroup<T>): G => spec.groupError(g.groupId, GROUP_AUTHORIZATION_FAILED);
  const forwarded = spec.groups.flatMap((g, i) => {
    if (!groupAllowed[i]) return [];
    return [g.topics === null ? g : { ...g, topics: g.topics.filter((_, ti) => topicErrors[i][ti] === 0) }];
  });
  if (forwarded.length === 0) return call.answer(spec.responseWith(spec.groups.map(deniedGroup)));
  return call.forward(spec.requestWith(forwarded), (res) => {
    const answers = new Map(spec.answeredGroups(res).map((g) => [g.groupId, g]));
    const merged = spec.groups.map((g, i): G => {
      if (!groupAllowed[i]) return deniedGroup(g);
      const answer = answers.get(g.groupId) ?? spec.groupError(g.groupId, 0);
      if (answer.errorCode !== 0) return answer;
      if (g.topics === null) return { ...answer, topics: answer.topics.filter((t) => authz.allowedQuietly('DESCRIBE', 'TOPIC', spec.answerName(t))) };
      const order = { entries: g.topics, deniedAnswer: spec.deniedTopic, requestKey: spec.askedName, answerKey: spec.answerName };
      return { ...answer, topics: mergeInClientOrder(order, topicErrors[i], answer.topics) };
    });
    return spec.responseWith(merged);
  });
}
