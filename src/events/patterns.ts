/** Redis command patterns handled by the service (SPEC 'Commands Handled'). */
export const Command = {
  RegisterModel: 'model.register',
  ResetPerformance: 'model.performance.reset',
  CancelRequest: 'model.request.cancel',
  CreateKey: 'model.key.create',
  UpdateKey: 'model.key.update',
  RevokeKey: 'model.key.revoke',
  RotateKey: 'model.key.rotate',
} as const;

export type Command = (typeof Command)[keyof typeof Command];
