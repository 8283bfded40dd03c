import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { MAX_PAGE_SIZE } from '@rjs/core';
import type { ListRoute } from './list-route';

/** The `Link` header of a page that has a next one (RFC 8288), for ApiOkResponse's `headers`. */
export const NEXT_PAGE_LINK = {
  Link: {
    description:
      'With `limit`, when more items follow: `<URL of the next page>; rel="next"`, the same request with `continue` set (RFC 8288). ' +
      'Absent on the last page.',
    schema: { type: 'string', example: '</api/v1/jobs?limit=100&continue=eyJsIjoiam9icyIsIm4iOiJiYXRjaC1jb21wdXRlLTIwMjMwMjIwMTAxNDE3LWlkd3N4bmNzLXJrd2FpYndlIiwicyI6MTY3Njg4ODA1NzAwMH0>; rel="next"' },
  },
};

/** The optional paging and filter parameters of a list route in the OpenAPI document. */
export const ListParameters = (route: ListRoute) =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: `At most this many ${route.items}; the \`Link\` header then points to the next page. Without it: all of them.`,
      schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
    }),
    ApiQuery({
      name: 'continue',
      required: false,
      description: 'Where the page starts: the opaque cursor of the `Link` header of the previous page. Stays valid while items are added or removed.',
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'status',
      required: false,
      description: `Only ${route.items} with one of these statuses (comma-separated).`,
      schema: { type: 'array', items: { type: 'string', enum: [...route.statuses] } },
      style: 'form',
      explode: false,
    }),
    ApiQuery({
      name: route.filter,
      required: false,
      description: `Only ${route.items} with this ${route.filter}.`,
      schema: { type: 'string' },
    }),
  );
