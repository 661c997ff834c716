export type AppErrorOptions = {
  code: string;
  message: string;
  retryable?: boolean;
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
};

/** An expected failure: carries a stable code, whether retrying can help, and a hint that says what to change. */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(options: AppErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  toJSON(): {
    code: string;
    message: string;
    retryable: boolean;
    hint?: string;
    details: Record<string, unknown>;
  } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.hint ? { hint: this.hint } : {}),
      details: this.details,
    };
  }
}

export class ValidationError extends AppError {}
export class NotFoundError extends AppError {}
export class ConflictError extends AppError {}
/** Nobody, or an identity nobody was mapped to: HTTP 401. */
export class UnauthenticatedError extends AppError {}
/** A known person without the permission (or the object is not theirs to see or change): HTTP 403. */
export class ForbiddenError extends AppError {}

export const isAppError = (value: unknown): value is AppError => value instanceof AppError;

/** Turns anything thrown into a message fit for a person or a model. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
