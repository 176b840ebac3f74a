"""Garden journal (Amazon Rekognition): hashtags for the flowers a photo shows."""

import boto3

HASHTAGS = {
    "Rose": "#roses",
    "Tulip": "#tulips",
    "Sunflower": "#sunflowers",
    "Daisy": "#daisies",
}

rekognition = boto3.client("rekognition", region_name="eu-west-1")


def hashtags(image_bytes):
    response = rekognition.detect_labels(Image={"Bytes": image_bytes}, MaxLabels=20)
    tags = set()
    for label in response["Labels"]:
        if label["Name"] in HASHTAGS and label["Confidence"] >= 60:
            tags.add(HASHTAGS[label["Name"]])
    return tags
