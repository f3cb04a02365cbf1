/** Redis command patterns handled by the service (SPEC 'Commands Handled'). */
export const Command = {
  RegisterModel: 'model.register',
  ResetPerformance: 'model.performance.reset',
  CancelRequest: 'model.request.cancel',
} as const;

export type Command = (typeof Command)[keyof typeof Command];
