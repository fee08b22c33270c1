"""What each kind of metadata gives away: tag name -> (risk, kind, plain-language reason).

The tables are keyed by the tag *names* used by the readers (EXIF names as piexif spells them, XMP local
names, IPTC dataset names), so one table serves EXIF, XMP and IPTC alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharesafe.errors import without_object_reprs as readable_repr_free
from sharesafe.types import MetadataItem, MetadataKind, Risk


@dataclass(frozen=True, slots=True)
class Explanation:
    risk: Risk
    kind: MetadataKind
    why: str


LOCATION = Explanation(Risk.HIGH, MetadataKind.LOCATION, "reveals where this photo was taken")
LOCATION_NAME = Explanation(
    Risk.HIGH, MetadataKind.LOCATION, "names the place where this photo was taken or what it shows"
)
LOCATION_DETAIL = Explanation(
    Risk.MEDIUM, MetadataKind.LOCATION, "part of the GPS record; with the position it narrows down the place"
)
SERIAL = Explanation(
    Risk.HIGH, MetadataKind.DEVICE, "a serial number that ties this photo to one particular camera or lens"
)
UNIQUE_ID = Explanation(
    Risk.MEDIUM,
    MetadataKind.DEVICE,
    "a unique ID that can link this photo to other photos or to its original",
)
DEVICE = Explanation(Risk.MEDIUM, MetadataKind.DEVICE, "names the camera or phone that took this photo")
SOFTWARE = Explanation(Risk.LOW, MetadataKind.DEVICE, "names the software or firmware that produced the file")
OWNER = Explanation(Risk.HIGH, MetadataKind.PEOPLE, "names the owner, author or photographer")
PEOPLE_TEXT = Explanation(
    Risk.HIGH, MetadataKind.PEOPLE, "free text written by a person; it may name people, places or cases"
)
PEOPLE_NAMES = Explanation(Risk.HIGH, MetadataKind.PEOPLE, "names or marks people shown in the photo")
TIME_TAKEN = Explanation(Risk.MEDIUM, MetadataKind.TIME, "reveals when this photo was taken")
TIME_FILE = Explanation(Risk.LOW, MetadataKind.TIME, "reveals when the file was made or last changed")
THUMBNAIL = Explanation(Risk.HIGH, MetadataKind.HIDDEN, "a hidden preview that may show the unedited picture")
HIDDEN_IMAGES = Explanation(
    Risk.HIGH,
    MetadataKind.HIDDEN,
    "extra hidden images or video inside the file that may show the unedited scene",
)
MAKERNOTE = Explanation(
    Risk.MEDIUM,
    MetadataKind.HIDDEN,
    "the camera maker's private data block; it often holds serial numbers and settings",
)
XMP_PACKET = Explanation(
    Risk.MEDIUM,
    MetadataKind.HIDDEN,
    "an XMP packet: editing history, IDs and text fields that travel with the photo",
)
IPTC_BLOCK = Explanation(
    Risk.MEDIUM, MetadataKind.HIDDEN, "an IPTC block: captions, names, places and credits for publishing"
)
PROVENANCE = Explanation(
    Risk.MEDIUM,
    MetadataKind.HIDDEN,
    "a provenance record (C2PA/JUMBF) that can hold the device, account and editing history",
)
COMMENT = Explanation(Risk.MEDIUM, MetadataKind.HIDDEN, "a text comment hidden in the file")
TRAILER = Explanation(
    Risk.HIGH,
    MetadataKind.HIDDEN,
    "data hidden after the end of the picture (e.g. a motion-photo video or extra images)",
)
DAMAGED = Explanation(
    Risk.MEDIUM,
    MetadataKind.HIDDEN,
    "a metadata block that could not be read in full; it may still hide anything and must be removed",
)
UNKNOWN_BLOCK = Explanation(
    Risk.MEDIUM, MetadataKind.HIDDEN, "a data block ShareSafe does not recognise; it may hide anything"
)
CAMERA_SETTINGS = Explanation(
    Risk.LOW, MetadataKind.TECHNICAL, "camera settings; harmless on their own but they fingerprint the device"
)
ICC = Explanation(Risk.LOW, MetadataKind.TECHNICAL, "a colour profile; it describes colours, not the scene")
STRUCTURAL = Explanation(Risk.NONE, MetadataKind.TECHNICAL, "describes how the picture is stored")
ORIENTATION = Explanation(Risk.NONE, MetadataKind.TECHNICAL, "tells viewers which way up to show the picture")
OTHER = Explanation(Risk.LOW, MetadataKind.TECHNICAL, "descriptive metadata carried with the photo")

_SERIAL_TAGS = {
    "BodySerialNumber",
    "LensSerialNumber",
    "CameraSerialNumber",
    "SerialNumber",
    "InternalSerialNumber",
    "LensSerial",
    "ImageUniqueID",  # handled below as UNIQUE_ID
}

_TABLE: dict[str, Explanation] = {
    # EXIF IFD0 / TIFF
    "Make": DEVICE,
    "Model": DEVICE,
    "LensMake": DEVICE,
    "LensModel": DEVICE,
    "LensSpecification": CAMERA_SETTINGS,
    "UniqueCameraModel": DEVICE,
    "LocalizedCameraModel": DEVICE,
    "Software": SOFTWARE,
    "HostComputer": Explanation(
        Risk.MEDIUM, MetadataKind.DEVICE, "names the computer that processed the file"
    ),
    "ProcessingSoftware": SOFTWARE,
    "CreatorTool": SOFTWARE,
    "Artist": OWNER,
    "Copyright": OWNER,
    "CameraOwnerName": OWNER,
    "OwnerName": OWNER,
    "XPAuthor": OWNER,
    "XPComment": PEOPLE_TEXT,
    "XPKeywords": PEOPLE_TEXT,
    "XPSubject": PEOPLE_TEXT,
    "XPTitle": PEOPLE_TEXT,
    "ImageDescription": PEOPLE_TEXT,
    "UserComment": PEOPLE_TEXT,
    "DocumentName": PEOPLE_TEXT,
    "PageName": PEOPLE_TEXT,
    "ImageHistory": PEOPLE_TEXT,
    "ImageUniqueID": UNIQUE_ID,
    "RawDataUniqueID": UNIQUE_ID,
    "TimeZoneOffset": TIME_FILE,
    "DateTimeOriginal": TIME_TAKEN,
    "DateTimeDigitized": TIME_TAKEN,
    "SubSecTimeOriginal": TIME_TAKEN,
    "SubSecTimeDigitized": TIME_TAKEN,
    "SubsecTimeOriginal": TIME_TAKEN,  # Pillow's spelling
    "SubsecTimeDigitized": TIME_TAKEN,
    "SubsecTime": TIME_FILE,
    "OffsetTimeOriginal": TIME_TAKEN,
    "OffsetTimeDigitized": TIME_TAKEN,
    "OffsetTime": TIME_FILE,
    "DateTime": TIME_FILE,
    "SubSecTime": TIME_FILE,
    "PreviewDateTime": TIME_FILE,
    "Orientation": ORIENTATION,
    "MakerNote": MAKERNOTE,
    "PrintImageMatching": Explanation(
        Risk.LOW, MetadataKind.DEVICE, "printer settings written by the camera"
    ),
    # structural TIFF/EXIF tags
    "ImageWidth": STRUCTURAL,
    "ImageLength": STRUCTURAL,
    "PixelXDimension": STRUCTURAL,
    "PixelYDimension": STRUCTURAL,
    "BitsPerSample": STRUCTURAL,
    "Compression": STRUCTURAL,
    "PhotometricInterpretation": STRUCTURAL,
    "SamplesPerPixel": STRUCTURAL,
    "PlanarConfiguration": STRUCTURAL,
    "YCbCrSubSampling": STRUCTURAL,
    "YCbCrPositioning": STRUCTURAL,
    "YCbCrCoefficients": STRUCTURAL,
    "XResolution": STRUCTURAL,
    "YResolution": STRUCTURAL,
    "ResolutionUnit": STRUCTURAL,
    "StripOffsets": STRUCTURAL,
    "StripByteCounts": STRUCTURAL,
    "RowsPerStrip": STRUCTURAL,
    "TileWidth": STRUCTURAL,
    "TileLength": STRUCTURAL,
    "TileOffsets": STRUCTURAL,
    "TileByteCounts": STRUCTURAL,
    "ColorSpace": STRUCTURAL,
    "ExifVersion": STRUCTURAL,
    "FlashpixVersion": STRUCTURAL,
    "ComponentsConfiguration": STRUCTURAL,
    "InteroperabilityIndex": STRUCTURAL,
    "InteroperabilityVersion": STRUCTURAL,
    "RelatedImageWidth": STRUCTURAL,
    "RelatedImageLength": STRUCTURAL,
    "Predictor": STRUCTURAL,
    "ExtraSamples": STRUCTURAL,
    "SampleFormat": STRUCTURAL,
    "FillOrder": STRUCTURAL,
    "NewSubfileType": STRUCTURAL,
    "SubfileType": STRUCTURAL,
    "JPEGInterchangeFormat": STRUCTURAL,
    "JPEGInterchangeFormatLength": STRUCTURAL,
    "WhitePoint": STRUCTURAL,
    "PrimaryChromaticities": STRUCTURAL,
    "ReferenceBlackWhite": STRUCTURAL,
    "Gamma": STRUCTURAL,
    # XMP / IPTC names for the same facts
    "creator": OWNER,
    "rights": OWNER,
    "Owner": OWNER,
    "Credit": OWNER,
    "By-line": OWNER,
    "By-lineTitle": OWNER,
    "CopyrightNotice": OWNER,
    "Writer-Editor": OWNER,
    "CaptionWriter": OWNER,
    "Contact": OWNER,
    "CreatorContactInfo": OWNER,
    "Source": OWNER,
    "AuthorsPosition": OWNER,
    "UsageTerms": OWNER,
    "WebStatement": OWNER,
    "description": PEOPLE_TEXT,
    "title": PEOPLE_TEXT,
    "subject": PEOPLE_TEXT,
    "Caption-Abstract": PEOPLE_TEXT,
    "Headline": PEOPLE_TEXT,
    "Keywords": PEOPLE_TEXT,
    "ObjectName": PEOPLE_TEXT,
    "Instructions": PEOPLE_TEXT,
    "SpecialInstructions": PEOPLE_TEXT,
    "TransmissionReference": PEOPLE_TEXT,
    "OriginalTransmissionReference": PEOPLE_TEXT,
    "Label": PEOPLE_TEXT,
    "PersonInImage": PEOPLE_NAMES,
    "RegionInfo": PEOPLE_NAMES,
    "Regions": PEOPLE_NAMES,
    "RegionList": PEOPLE_NAMES,
    "City": LOCATION_NAME,
    "State": LOCATION_NAME,
    "Country": LOCATION_NAME,
    "CountryCode": LOCATION_NAME,
    "Location": LOCATION_NAME,
    "Sub-location": LOCATION_NAME,
    "Province-State": LOCATION_NAME,
    "Country-PrimaryLocationName": LOCATION_NAME,
    "Country-PrimaryLocationCode": LOCATION_NAME,
    "LocationCreated": LOCATION_NAME,
    "LocationShown": LOCATION_NAME,
    "GPSLatitude": LOCATION,
    "GPSLongitude": LOCATION,
    "GPSPosition": LOCATION,
    "GPSAltitude": LOCATION_DETAIL,
    "CreateDate": TIME_TAKEN,
    "DateCreated": TIME_TAKEN,
    "TimeCreated": TIME_TAKEN,
    "DigitalCreationDate": TIME_TAKEN,
    "DigitalCreationTime": TIME_TAKEN,
    "ModifyDate": TIME_FILE,
    "MetadataDate": TIME_FILE,
    "DateSent": TIME_FILE,
    "TimeSent": TIME_FILE,
    "DocumentID": UNIQUE_ID,
    "OriginalDocumentID": UNIQUE_ID,
    "InstanceID": UNIQUE_ID,
    "DerivedFrom": UNIQUE_ID,
    "History": Explanation(
        Risk.MEDIUM, MetadataKind.HIDDEN, "editing history: which programs changed the photo, and when"
    ),
    "MicroVideo": HIDDEN_IMAGES,
    "MotionPhoto": HIDDEN_IMAGES,
    "MicroVideoOffset": HIDDEN_IMAGES,
    "Directory": HIDDEN_IMAGES,
    "Lens": DEVICE,
}


def explain_tag(name: str, group: str = "") -> Explanation:
    """Risk, kind and reason for a tag called `name` found in `group`."""
    if "GPS" in group.upper() or name.startswith("GPS"):
        if name in ("GPSLatitude", "GPSLongitude", "GPSPosition", "GPSDestLatitude", "GPSDestLongitude"):
            return LOCATION
        if name == "GPSVersionID":
            return Explanation(Risk.LOW, MetadataKind.LOCATION, "a GPS record is present")
        if name in ("GPSDateStamp", "GPSTimeStamp"):
            return Explanation(Risk.MEDIUM, MetadataKind.TIME, "the satellite time when the photo was taken")
        return LOCATION_DETAIL
    if name in _SERIAL_TAGS and name != "ImageUniqueID":
        return SERIAL
    if "Serial" in name:
        return SERIAL
    found = _TABLE.get(name)
    if found is not None:
        return found
    return CAMERA_SETTINGS if group.startswith("EXIF") else OTHER


def item(group: str, tag: str, value: str, explanation: Explanation | None = None) -> MetadataItem:
    """Build a MetadataItem, explaining `tag` from the table unless `explanation` is given."""
    exp = explanation if explanation is not None else explain_tag(tag, group)
    return MetadataItem(group=group, tag=tag, value=short(value), risk=exp.risk, why=exp.why, kind=exp.kind)


MAX_VALUE = 200


def short(value: str, limit: int = MAX_VALUE) -> str:
    """Printable, one-line, at most `limit` characters, with no object reprs (`<... at 0x...>`)."""
    value = readable_repr_free(value)
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value.replace("\x00", " ")).strip()
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"
