#!/usr/bin/env bash
# Builds and pushes the two Lambda images with the docker CLI, for prebuilt mode (Terraform Cloud remote runs,
# plan reviews), and prints the digest-pinned URIs as -var arguments. Needs Docker, the AWS CLI and credentials.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent build >&2

# Settings as the stack reads them (defaults applied), so the repositories and platform match what it deploys.
read -r PREFIX REGION ARCH BASE < <(node -e '
  const c = require("./dist/modules/config.js").loadConfig("config.json");
  console.log(c.namePrefix, c.region, c.architecture, c.baseImage ?? "");')
PLATFORM=$([ "$ARCH" = arm64 ] && echo linux/arm64 || echo linux/amd64)
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
REGISTRY="$ACCOUNT.dkr.ecr.$REGION.amazonaws.com"

aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY" >&2

VARS=()
for FN in training detection; do
  BUNDLE="dist/bundles/$FN"
  [ -f "$BUNDLE/index.js" ] || { echo "images: $BUNDLE/index.js is missing: handlers/$FN.ts must exist" >&2; exit 1; }
  REPO="$REGISTRY/$PREFIX-$FN"
  # The same tag the stack uses in build mode: one bundle on one base, one tag, whichever way it was pushed.
  TAG=$(node -e '
    const b = require("./dist/modules/bundle-image.js");
    console.log(b.imageTag(b.bundleHash(process.argv[1]), process.argv[2] || undefined));' "$BUNDLE" "$BASE")
  # Tags are immutable: a bundle already pushed is reused, not pushed again.
  DIGEST=$(aws ecr describe-images --region "$REGION" --repository-name "$PREFIX-$FN" --image-ids "imageTag=$TAG" \
    --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
  if [ -z "$DIGEST" ] || [ "$DIGEST" = None ]; then
    # --provenance=false: an attestation turns the image into an OCI index, which Lambda rejects.
    BUILD_ARGS=()
    [ -z "$BASE" ] || BUILD_ARGS=(--build-arg "BASE_IMAGE=$BASE")
    docker build --platform "$PLATFORM" --provenance=false ${BUILD_ARGS[@]+"${BUILD_ARGS[@]}"} -t "$REPO:$TAG" "$BUNDLE" >&2
    docker push "$REPO:$TAG" >&2
    DIGEST=$(aws ecr describe-images --region "$REGION" --repository-name "$PREFIX-$FN" --image-ids "imageTag=$TAG" \
      --query 'imageDetails[0].imageDigest' --output text)
  fi
  VARS+=("-var=${FN}_image_uri=$REPO@$DIGEST")
done

printf '%s\n' "${VARS[@]}"
