// Telegram's error shape. Every failure the emulator reports to a bot goes through ApiError so the
// HTTP status and the JSON body always agree, the way api.telegram.org answers.

export interface ApiErrorShape {
  error_code: number;
  description: string;
  retry_after?: number;
  migrate_to_chat_id?: number;
}

export class ApiError extends Error {
  constructor(
    readonly error_code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }

  static from(shape: ApiErrorShape): ApiError {
    const parameters: { retry_after?: number; migrate_to_chat_id?: number } = {};
    if (shape.retry_after !== undefined) parameters.retry_after = shape.retry_after;
    if (shape.migrate_to_chat_id !== undefined) parameters.migrate_to_chat_id = shape.migrate_to_chat_id;
    return new ApiError(
      shape.error_code,
      shape.description,
      Object.keys(parameters).length ? parameters : undefined,
    );
  }

  toJSON(): { ok: false; error_code: number; description: string; parameters?: object } {
    return {
      ok: false,
      error_code: this.error_code,
      description: this.description,
      ...(this.parameters ? { parameters: this.parameters } : {}),
    };
  }
}

export const badRequest = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);
export const forbidden = (what: string): ApiError => new ApiError(403, `Forbidden: ${what}`);
export const conflict = (what: string): ApiError => new ApiError(409, `Conflict: ${what}`);
export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized');
export const notFound = (): ApiError => new ApiError(404, 'Not Found');
export const tooManyRequests = (retryAfter: number): ApiError =>
  new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
