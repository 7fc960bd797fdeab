/** The classifier's errors. Bad mail is never one of them: it gets a verdict with notes. */

export type ClassifierErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_UNREADABLE'
  | 'MODEL_CORRUPT'
  | 'MODEL_VERSION'
  | 'MODEL_EMPTY'
  | 'NOT_A_BUFFER';

export class ClassifierError extends Error {
  constructor(
    readonly code: ClassifierErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClassifierError';
  }
}
