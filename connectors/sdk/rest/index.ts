export {
  type GraphqlApi,
  GraphqlError,
  graphqlAction,
  graphqlErrorsOf,
  graphqlFailure,
} from './graphql.ts';
export {
  type CollectedPages,
  collectPages,
  DEFAULT_MAX_PAGES,
  MAX_PAGES_LIMIT,
  type Pagination,
} from './pagination.ts';
export { fillPath, templateNames } from './path-template.ts';
export {
  type RestActionDefinition,
  type RestCall,
  type RestCallContext,
  type RestListActionDefinition,
  restAction,
  restListAction,
  restRequestOf,
} from './rest-action.ts';
export { createRestClient, type RestApi, type RestClient, type VendorError } from './rest-client.ts';
export { restKit } from './rest-kit.ts';
export { type RestPollDefinition, restPollTrigger } from './rest-poll.ts';
export type { QueryValue, RestRequest, RestResponse } from './rest-request.ts';
