import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';

export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

export function describeIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
}

/**
 * Validates a request part with a zod schema. Use `z.strictObject` for bodies: unknown fields are
 * refused with 400, naming them, so a client learns at once that a field is misspelt or not supported.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly part: 'body' | 'query' | 'params' = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const issues = describeIssues(result.error);
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid request ${this.part}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
        issues,
      });
    }
    return result.data;
  }
}

export const zodBody = <S extends z.ZodType>(schema: S) => new ZodValidationPipe(schema, 'body');
export const zodQuery = <S extends z.ZodType>(schema: S) => new ZodValidationPipe(schema, 'query');
export const zodParams = <S extends z.ZodType>(schema: S) => new ZodValidationPipe(schema, 'params');

/** JSON Schema of a zod schema for OpenAPI (the same schema that validates the request). */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json['$schema'];
  return json;
}

/** Documents a zod-validated body in OpenAPI. Pair with `@Body(zodBody(schema))`. */
export const ApiZodBody = (schema: z.ZodType, description?: string) =>
  ApiBody({ schema: openApiSchema(schema) as never, ...(description ? { description } : {}) });

/** Documents each property of a zod object schema as a query parameter. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const decorators = Object.entries(schema.shape).map(([name, prop]) =>
    ApiQuery({
      name,
      required: !(prop as z.ZodType).safeParse(undefined).success,
      schema: openApiSchema(prop as z.ZodType) as never,
    }),
  );
  return (target, key, descriptor) => {
    for (const d of decorators) d(target, key, descriptor);
  };
}
