// The whole-request error answers of the ACL apis (DescribeAcls, CreateAcls, DeleteAcls), as
// their getErrorResponse shapes them: DescribeAcls at the top, CreateAcls per creation,
// DeleteAcls per filter. Used for CLUSTER_AUTHORIZATION_FAILED and SECURITY_DISABLED.
import type { CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse, DescribeAclsResponse } from '../../codec/index.js';

export function describeAclsError(errorCode: number, errorMessage: string | null): DescribeAclsResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, resources: [] };
}

export function createAclsError(req: CreateAclsRequest, errorCode: number, errorMessage: string | null): CreateAclsResponse {
  return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) };
}

export function deleteAclsError(req: DeleteAclsRequest, errorCode: number, errorMessage: string | null): DeleteAclsResponse {
  return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) };
}
