/** Names of the service's BullMQ queues and of the jobs on them. */
export const QueueName = { Performance: 'performance', Inference: 'inference', Retention: 'retention' } as const;
export const JobName = { RollUp: 'roll-up', Infer: 'infer', Prune: 'prune' } as const;
