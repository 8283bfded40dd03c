/** The placeholder radixconfig.yaml may put in an image, e.g. `registry/app:{imageTagName}`. */
export const IMAGE_TAG_PLACEHOLDER = '{imageTagName}';

/**
 * The image a job runs. With `imageTagName`, a `{imageTagName}` placeholder is filled in; without a
 * placeholder the tag is replaced (the API docs: configuring the placeholder is not necessary).
 * Returns undefined when a placeholder is left unfilled.
 */
export function resolveImage(image: string, imageTagName: string | undefined): string | undefined {
  if (image.includes(IMAGE_TAG_PLACEHOLDER)) {
    return imageTagName ? image.split(IMAGE_TAG_PLACEHOLDER).join(imageTagName) : undefined;
  }
  return imageTagName ? withTag(image, imageTagName) : image;
}

/**
 * Replaces the tag of an image reference `[registry[:port]/]path[:tag][@digest]`. A digest is
 * dropped: it pins the old content and would win over the new tag.
 */
export function withTag(image: string, tag: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const colon = name.lastIndexOf(':');
  const repository = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
  return `${repository}:${tag}`;
}
