// The ACL apis are answered from Turnout's own store by the ACL apis filter, which checks the
// cluster operation itself; the rows here make the same check, so that a principal without it
// is refused here too, and nothing reaches a backend's ACLs unchecked.
import { ApiKey } from '../../../codec/index.js';
import { createAclsError, deleteAclsError, describeAclsError } from '../../acl-apis/acl-api-errors.js';
import { CLUSTER_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { clusterRule, MESSAGE } from './cluster-operations.js';

export const describeAclsRule = clusterRule(ApiKey.DescribeAcls, 'DESCRIBE', () => describeAclsError(CLUSTER_AUTHORIZATION_FAILED, MESSAGE));
export const createAclsRule = clusterRule(ApiKey.CreateAcls, 'ALTER', (req) => createAclsError(req, CLUSTER_AUTHORIZATION_FAILED, MESSAGE));
export const deleteAclsRule = clusterRule(ApiKey.DeleteAcls, 'ALTER', (req) => deleteAclsError(req, CLUSTER_AUTHORIZATION_FAILED, MESSAGE));
