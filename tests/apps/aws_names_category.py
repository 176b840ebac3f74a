"""AWS: a list of names, then if/elif over categories (first category present wins)."""
import boto3

PEOPLE = ["Person", "Human"]
VEHICLES = ["Car", "Truck", "Motorcycle"]


def scene(data):
    client = boto3.client("rekognition", region_name="us-east-1")
    labels = client.detect_labels(Image={"Bytes": data}, MaxLabels=5).get("Labels", [])
    names = [l["Name"] for l in labels]
    if set(names).intersection(PEOPLE):
        return "people"
    elif set(VEHICLES) & set(names):
        return "traffic"
    return "empty"
