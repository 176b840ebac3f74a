"""Models: the pretrained backbone, the generic labeler and the model registry."""
