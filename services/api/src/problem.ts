import { z } from 'zod';

export const PROBLEM_TYPE = 'application/problem+json';

/** RFC 9457 problem details, as every error of the API is sent. */
export const problemSchema = z
  .object({
    type: z.string().describe('a URI naming the kind of problem; about:blank when the status says it all'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().describe('the request path'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** An error a route throws on purpose: its status and detail reach the caller as a problem. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly statusCode: number;
  readonly type: string;
  constructor(statusCode: number, detail: string, type = 'about:blank') {
    super(detail);
    this.statusCode = statusCode;
    this.type = type;
  }
}

/**
 * The problem document for a status. Details of a 5xx are never the error's own message (it may name a database, a
 * host or worse); they say where to look instead.
 *
 * @example
 * problem(404, '/v1/invoices/X', 'no finalized invoice X'); // { type: 'about:blank', title: 'Not Found', status: 404, … }
 */
export function problem(status: number, instance: string, detail?: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    ...(detail === undefined ? {} : { detail }),
    instance,
    ...extra,
  };
}
