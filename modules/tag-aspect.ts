// Tags every taggable resource of a scope through one Aspect, so no construct can forget them.
import { IConstruct } from 'constructs';
import { IAspect } from 'cdktf';

type Taggable = IConstruct & { tags?: Record<string, string>; tagsInput?: Record<string, string> };

function isTaggable(node: IConstruct): node is Taggable {
  return 'tags' in node && 'tagsInput' in node;
}

export class TagAspect implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  visit(node: IConstruct): void {
    if (!isTaggable(node)) return;
    // Tags a construct sets itself win over the common ones.
    node.tags = { ...this.tags, ...(node.tagsInput ?? {}) };
  }
}
