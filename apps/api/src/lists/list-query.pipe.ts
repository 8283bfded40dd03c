import type { PipeTransform } from '@nestjs/common';
import { type FieldProblem, InvalidRequestError, type ListFilter, type ListRequest, MAX_PAGE_SIZE, singleQueryValue } from '@rjs/core';
import { decodeCursor } from './list-cursor';
import type { ListFilterParameter, ListRoute } from './list-route';

const FILTERS: readonly ListFilterParameter[] = ['jobId', 'batchId'];

/**
 * The optional paging and filter parameters of a list route, as a ListRequest. Without them the
 * request is empty (the whole list, as before). A bad value, a repeated parameter or a filter that
 * this list does not take throws InvalidRequestError naming each. Other parameters are ignored,
 * as before (and as the original ignores them).
 */
export class ListQueryPipe implements PipeTransform<unknown, ListRequest> {
  constructor(private readonly route: ListRoute) {}

  transform(query: unknown): ListRequest {
    const params = (query ?? {}) as Record<string, unknown>;
    const problems: FieldProblem[] = [];
    const single = (name: string) => singleQueryValue(params, name, problems);
    const request: ListRequest = {};
    const filter: ListFilter = {};

    const limit = single('limit');
    if (limit !== undefined) {
      if (/^\d{1,7}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_PAGE_SIZE) request.limit = Number(limit);
      else problems.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(limit)}` });
    }
    const cursor = single('continue');
    if (cursor !== undefined) {
      request.after = decodeCursor(this.route, cursor);
      if (!request.after) problems.push({ path: 'continue', message: `is not a cursor of the ${this.route.items}: pass on the one of the Link header (rel="next") of the previous page` });
    }
    const status = single('status');
    if (status !== undefined) {
      const statuses = status.split(',');
      const unknown = statuses.filter((s) => !this.route.statuses.includes(s));
      if (unknown.length === 0) filter.statuses = statuses as ListFilter['statuses'];
      else problems.push({ path: 'status', message: `must be one or more of ${this.route.statuses.join(', ')}, separated by commas; got ${unknown.map((s) => JSON.stringify(s)).join(', ')}` });
    }
    for (const name of FILTERS) {
      const value = single(name);
      if (value === undefined) continue;
      if (name === this.route.filter) filter[name] = value;
      else problems.push({ path: name, message: `is not a filter of the ${this.route.items}: use status or ${this.route.filter}` });
    }

    if (problems.length) throw new InvalidRequestError(problems);
    if (Object.keys(filter).length) request.filter = filter;
    return request;
  }
}
