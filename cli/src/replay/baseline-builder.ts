/**
 * The baseline service's pure model builder, the one the service publishes with (no second
 * implementation of trust, periodicity or compact vocabularies), and its settings.
 */
export { buildModel } from "@warden/baseline";
export type {
  ModelSettings,
  ScopeAggregates,
  VocabularyRow,
} from "@warden/baseline";
