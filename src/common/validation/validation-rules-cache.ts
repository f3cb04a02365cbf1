import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Storage = ReturnType<typeof getMetadataStorage>;
type Grouped = Record<string, ValidationMetadata[]>;

const CACHED = Symbol('validationRulesCached');

/**
 * class-validator works out a class's rules again for every object it validates: it scans every
 * class that has rules (about 60 here) for parents of the target, then regroups the result by
 * property. That happens for the body and again for every nested object (each message), and was
 * about half of what validating a one-message chat body costs. The rules only change when a decorator
 * runs, so the answers are kept per class until one does. Lookups by validation group are not
 * cached: the service validates without groups.
 */
export function cacheValidationRules(storage: Storage = getMetadataStorage()): void {
  const marked = storage as Storage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;

  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  let rulesOf = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let groupedOf = new WeakMap<ValidationMetadata[], Grouped>();

  storage.addValidationMetadata = (metadata) => {
    rulesOf = new Map();
    groupedOf = new WeakMap();
    addRule(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if ((groups && groups.length > 0) || always || strictGroups) return lookUp(target, schema, always, strictGroups, groups);
    // A nested object is looked up with its parent's class name as the schema.
    let bySchema = rulesOf.get(target);
    if (!bySchema) rulesOf.set(target, (bySchema = new Map<string, ValidationMetadata[]>()));
    let rules = bySchema.get(schema ?? '');
    if (!rules) {
      rules = lookUp(target, schema, always, strictGroups, groups);
      bySchema.set(schema ?? '', rules);
    }
    return rules;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupedOf.get(metadata);
    if (!grouped) {
      grouped = group(metadata);
      groupedOf.set(metadata, grouped);
    }
    return grouped;
  };
}
