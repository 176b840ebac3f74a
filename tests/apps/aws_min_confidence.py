"""AWS Rekognition with MinConfidence and MaxLabels in the request."""
import boto3

rekognition = boto3.client("rekognition", region_name="us-east-1")
WEAPONS = ["Gun", "Weapon", "Knife"]


def is_dangerous(data):
    response = rekognition.detect_labels(Image={"Bytes": data}, MaxLabels=10, MinConfidence=80)
    for label in response["Labels"]:
        if label["Name"] in WEAPONS:
            return True
    return False
