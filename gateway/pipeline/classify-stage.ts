/** The classify stage: the request head (and form, when buffered) into a typed `Classified` value. */
import { classify } from './classify';
import type { BeforeStage } from './stages';

export const classifyStage: BeforeStage = {
  name: 'classify',
  run(ctx) {
    const { classified, credentials } = classify(ctx.head, ctx.form);
    ctx.classified = classified;
    ctx.credentials = credentials;
    return undefined;
  },
};
