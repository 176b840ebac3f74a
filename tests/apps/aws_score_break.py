"""AWS: stop at the first label under 75% (labels are score-ordered); last match wins."""
import boto3

client = boto3.client("rekognition", region_name="us-east-1")


def vibe(data):
    response = client.detect_labels(Image={"Bytes": data})
    vibe = None
    for label in response["Labels"]:
        if label["Confidence"] < 75:
            break
        if label["Name"] in ["Party", "Crowd"]:
            vibe = "lively"
        elif label["Name"] in ["Nature", "Outdoors"]:
            vibe = "relaxed"
    return vibe
