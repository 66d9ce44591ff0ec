// The request pipeline Turnout runs in front of its router, in order:
//   api-versions   answers ApiVersions; refuses an api or version not offered
//   produce-acks   marks acks=0 produce as getting no answer
import type { RequestRouter } from '../net/request-router.js';
import { ApiVersionsFilter, type OfferedApis } from './api-versions-filter.js';
import type { RequestFilter } from './filter.js';
import { RequestPipeline } from './pipeline.js';
import { ProduceAcksFilter } from './produce-acks-filter.js';

export interface PipelineOptions {
  /** The router the pipeline is in front of. */
  router: RequestRouter;
  /** What is offered to clients, asked per request. */
  offered: () => OfferedApis;
}

export function buildPipeline(opts: PipelineOptions): RequestPipeline {
  const filters: RequestFilter[] = [new ApiVersionsFilter(opts.offered), new ProduceAcksFilter()];
  return new RequestPipeline(filters, opts.router);
}
