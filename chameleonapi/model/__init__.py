"""Models: the pretrained backbone, the generic labeler, the customized ones and their inputs."""
