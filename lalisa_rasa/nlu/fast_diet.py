"""DIET's intent ranking computed with numpy from the trained TensorFlow weights.

For one short message, Rasa's ``DIETClassifier.process`` spends far more CPU on
TensorFlow's per-call machinery (``RasaModelData`` and its batch generator, sparse
to dense conversions, the ``tf.function`` dispatch) than on the arithmetic of a
1-layer, 128-unit transformer (docs/benchmarks.md). ``FastDIETClassifier`` trains,
persists and loads exactly as ``DIETClassifier`` (it *is* one: same defaults, same
training, the TF model is still built at load), then copies the trained weights
into numpy arrays once and computes each message's intent ranking with them: the
same operations in the same float32 precision, so the same ranking and
confidences to float32 rounding (``tests/rasa_plugins/test_fast_diet.py`` compares
both paths on every training text).

Only the configuration this project uses is reproduced: intents only, sparse text
features at token and sentence level, a transformer without relative attention,
inner-product similarity with softmax confidences. Anything else (entity
recognition, dense features, hidden layers, relative or unidirectional
attention, fine-tuning, diagnostic data) keeps Rasa's TensorFlow path and says so
in a warning at load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import (
    ENTITY_RECOGNITION,
    FEATURIZERS,
    HIDDEN_LAYERS_SIZES,
    INNER,
    INTENT_CLASSIFICATION,
    KEY_RELATIVE_ATTENTION,
    MASK,
    MODEL_CONFIDENCE,
    NUM_TRANSFORMER_LAYERS,
    SEQUENCE_LENGTH,
    SIMILARITY_TYPE,
    SOFTMAX,
    UNIDIRECTIONAL_ENCODER,
    VALUE_RELATIVE_ATTENTION,
)
from scipy.special import erf

logger = logging.getLogger(__name__)

Array = npt.NDArray[np.float32]

# tf.nn.gelu(approximate=False) divides by this constant cast to the input's dtype.
SQRT_2 = np.float32(1.4142135623730951)


def gelu(x: Array) -> Array:
    """tf.nn.gelu with approximate=False: 0.5 x (1 + erf(x / sqrt 2))."""
    result: Array = np.float32(0.5) * x * (np.float32(1.0) + erf(x / SQRT_2))
    return result


def softmax(x: Array) -> Array:
    """Softmax over the last axis, in float32 like tf.nn.softmax."""
    exps = np.exp(x - x.max(axis=-1, keepdims=True))
    result: Array = exps / exps.sum(axis=-1, keepdims=True)
    return result


@dataclass(frozen=True)
class Dense:
    """A Keras Dense layer (kernel already multiplied by its connection mask)."""

    kernel: Array
    bias: Array | None

    def __call__(self, x: Array) -> Array:
        """The input times the kernel, plus the bias."""
        y: Array = x @ self.kernel
        if self.bias is not None:
            y += self.bias
        return y


@dataclass(frozen=True)
class LayerNorm:
    """Keras LayerNormalization over the last axis, non-fused path."""

    gamma: Array
    beta: Array
    epsilon: np.float32

    def __call__(self, x: Array) -> Array:
        """Normalizes each row of ``x``."""
        # tf.nn.moments, then tf.nn.batch_normalization: x * inv + (beta - mean * inv).
        mean = x.mean(axis=-1, keepdims=True)
        variance = np.square(x - mean).mean(axis=-1, keepdims=True)
        inv = self.gamma / np.sqrt(variance + self.epsilon)
        result: Array = x * inv + (self.beta - mean * inv)
        return result


@dataclass(frozen=True)
class EncoderLayer:
    """One TransformerEncoderLayer: pre-norm self-attention and feed-forward."""

    attention_norm: LayerNorm
    query: Dense
    key: Dense
    value: Dense
    attention_output: Dense
    ffn_norm: LayerNorm
    ffn_hidden: Dense
    ffn_output: Dense
    num_heads: int

    def __call__(self, x: Array, last_only: bool = False) -> Array:
        """The layer's output for every position, or for the last one alone.

        Attention and the feed-forward block treat the query positions independently,
        so ``last_only`` gives the last row of the full output with less work.
        """
        units = x.shape[1]
        depth = units // self.num_heads
        normed = self.attention_norm(x)

        def heads(y: Array) -> Array:
            # (rows, units) -> (heads, rows, depth), as _split_heads.
            return y.reshape(y.shape[0], self.num_heads, depth).transpose(1, 0, 2)

        if last_only:
            x = x[-1:]
            query = heads(self.query(normed[-1:]))
        else:
            query = heads(self.query(normed))
        key = heads(self.key(normed))
        value = heads(self.value(normed))
        # One message, no padding: Rasa's pad mask is all zeros here, and adding
        # 0 * -1e9 changes no logit.
        logits = (query @ key.transpose(0, 2, 1)) / np.sqrt(np.float32(depth))
        attended = softmax(logits) @ value
        combined = attended.transpose(1, 0, 2).reshape(x.shape[0], units)
        x = x + self.attention_output(combined)
        ffn = self.ffn_output(gelu(self.ffn_hidden(self.ffn_norm(x))))
        result: Array = x + ffn
        return result


@dataclass
class NumpyDIET:
    """The inference half of a trained DIET for intents, in numpy."""

    featurizers: list[str]
    sequence_to_dense: Dense
    sentence_to_dense: Dense
    embedding: Dense
    units: int
    layers: list[EncoderLayer]
    final_norm: LayerNorm
    text_embed: Dense
    label_embeddings: Array
    angles: Array
    _positions: Array = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def positional_encoding(self, length: int) -> Array:
        """TransformerEncoder._positional_encoding: sin on even, cos on odd units."""
        if self._positions.shape[0] < length:
            size = max(length, 64)
            angle_rads = np.arange(size, dtype=np.float32)[:, np.newaxis] * self.angles
            encoding = np.zeros_like(angle_rads)
            encoding[:, 0::2] = np.sin(angle_rads[:, 0::2])
            encoding[:, 1::2] = np.cos(angle_rads[:, 1::2])
            self._positions = encoding
        return self._positions[:length]

    def _to_dense(
        self, message: Message, feature_type: str, width: int, layer: Dense
    ) -> Array | None:
        """The sparse features of one type through their DenseForSparse layer.

        As for TensorFlow, the message's feature matrices are concatenated in their
        order (``Message.get_sparse_features``) and read as a matrix of the trained
        width: a featurizer that gave no matrix (the regex featurizer on an empty text)
        shifts the later ones left, exactly as Rasa's sparse tensor does. ``None`` if
        there are none or they do not fit.
        """
        blocks = [
            f.features
            for f in message.features
            if f.attribute == TEXT
            and f.type == feature_type
            and f.is_sparse()
            and (not self.featurizers or f.origin in self.featurizers)
        ]
        if not blocks or len({block.shape[0] for block in blocks}) != 1:
            return None
        rows, cols, data = [], [], []
        offset = 0
        for block in blocks:
            coo = block if block.format == "coo" else block.tocoo()
            rows.append(coo.row)
            cols.append(coo.col + offset)
            data.append(coo.data)
            offset += block.shape[1]
        if offset > width:
            return None
        # The product with the kernel, one output row per token: the kernel rows of the
        # non-zero columns, weighted by their values and summed per token (scipy's sparse
        # product spends more on building and checking the matrix than on this).
        row = np.concatenate(rows)
        order = np.argsort(row, kind="stable")
        row = row[order]
        weighted = layer.kernel[np.concatenate(cols)[order]]
        weighted *= np.concatenate(data)[order].astype(np.float32)[:, np.newaxis]
        dense: Array = np.zeros((blocks[0].shape[0], layer.kernel.shape[1]), dtype=np.float32)
        if row.size:
            present, starts = np.unique(row, return_index=True)
            dense[present] = np.add.reduceat(weighted, starts, axis=0)
        if layer.bias is not None:
            dense += layer.bias
        return dense

    def scores(self, message: Message) -> Array | None:
        """Softmax confidences over the labels, in label-index order.

        ``None`` when the message's features are not the ones the model was trained
        on (the caller then asks TensorFlow).
        """
        sequence = self._to_dense(
            message,
            FEATURE_TYPE_SEQUENCE,
            self.sequence_to_dense.kernel.shape[0],
            self.sequence_to_dense,
        )
        sentence = self._to_dense(
            message,
            FEATURE_TYPE_SENTENCE,
            self.sentence_to_dense.kernel.shape[0],
            self.sentence_to_dense,
        )
        if sequence is None or sentence is None:
            return None
        # RasaFeatureCombiningLayer: the sentence vector goes at the first position after
        # the tokens.
        x = np.concatenate([sequence, sentence], axis=0)
        x = self.embedding(x) * np.sqrt(np.float32(self.units))
        x = x + self.positional_encoding(x.shape[0])
        # Only the sentence position is read (DIET's _last_token): the last layer, the
        # final norm and RasaSequenceLayer's gelu are computed for that row alone.
        for index, layer in enumerate(self.layers):
            x = layer(x, last_only=index == len(self.layers) - 1)
        sentence_vector = gelu(self.final_norm(x))
        text = self.text_embed(sentence_vector)
        similarities = (text * self.label_embeddings).sum(axis=-1)
        return softmax(similarities)


def _dense(layer: Any) -> Dense:
    """Weights of a Keras Dense / RandomlyConnectedDense / DenseForSparse layer.

    A RandomlyConnectedDense multiplies its kernel by its fixed connection mask on
    every call (training updates the masked weights too), so the mask is applied here.
    """
    kernel = layer.kernel.numpy()
    mask = getattr(layer, "kernel_mask", None)
    if mask is not None:
        kernel = kernel * mask.numpy()
    bias = layer.bias.numpy() if layer.use_bias else None
    return Dense(np.ascontiguousarray(kernel, dtype=np.float32), bias)


def _layer_norm(layer: Any) -> LayerNorm:
    # Keras adds the float epsilon to the float32 variance: float32(epsilon). Its fused
    # kernel (another computation) only runs for epsilon >= 1.001e-5.
    if layer.epsilon >= 1.001e-5 or list(layer.axis) != [2] or not (layer.center and layer.scale):
        raise ValueError(f"layer normalization {layer.name} is not the one reproduced here")
    return LayerNorm(layer.gamma.numpy(), layer.beta.numpy(), np.float32(layer.epsilon))


def unsupported(config: dict[str, Any]) -> list[str]:
    """The options of ``config`` the numpy inference does not reproduce."""
    reasons = []
    if not config[INTENT_CLASSIFICATION]:
        reasons.append("intent_classification is off")
    if config[ENTITY_RECOGNITION]:
        reasons.append("entity_recognition is on")
    layers = config[NUM_TRANSFORMER_LAYERS]
    if not isinstance(layers, int) or layers < 1:
        reasons.append(f"number_of_transformer_layers is {layers!r}")
    if config[KEY_RELATIVE_ATTENTION] or config[VALUE_RELATIVE_ATTENTION]:
        reasons.append("relative attention")
    if config[UNIDIRECTIONAL_ENCODER]:
        reasons.append("unidirectional encoder")
    if config[HIDDEN_LAYERS_SIZES].get(TEXT):
        reasons.append("hidden layers for text")
    if config[SIMILARITY_TYPE] != INNER:
        reasons.append(f"similarity_type {config[SIMILARITY_TYPE]!r}")
    if config[MODEL_CONFIDENCE] != SOFTMAX:
        reasons.append(f"model_confidence {config[MODEL_CONFIDENCE]!r}")
    return reasons


def from_tensorflow(model: Any, config: dict[str, Any]) -> NumpyDIET:
    """Copies the inference weights out of a loaded Rasa ``DIET`` model.

    Raises ``ValueError`` (or ``AttributeError``/``KeyError`` from an unexpected
    structure) when the model is not the configuration reproduced here.
    """
    signature = model.data_signature[TEXT]
    # Besides the features, the signature holds DIET's own helper arrays.
    if set(signature) - {MASK, SEQUENCE_LENGTH} != {FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE}:
        raise ValueError(f"text features of types {sorted(signature)}")
    for feature_type in (FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE):
        if len(signature[feature_type]) != 1 or not signature[feature_type][0].is_sparse:
            raise ValueError(f"text {feature_type} features are not one sparse matrix")
    sequence_layer = model._tf_layers[f"sequence_layer.{TEXT}"]
    combining = sequence_layer._tf_layers["feature_combining"]._tf_layers
    if set(combining) != {
        f"sparse_dense.{FEATURE_TYPE_SEQUENCE}",
        f"sparse_dense.{FEATURE_TYPE_SENTENCE}",
    }:
        raise ValueError(f"feature combining layers {sorted(combining)}")
    transformer = sequence_layer._tf_layers["transformer"]
    layers = []
    for encoder_layer in transformer._enc_layers:
        mha = encoder_layer._mha
        if mha.use_key_relative_position or mha.use_value_relative_position or mha.unidirectional:
            raise ValueError("relative or unidirectional attention")
        norm, hidden, _, output, _ = encoder_layer._ffn_layers
        layers.append(
            EncoderLayer(
                attention_norm=_layer_norm(encoder_layer._layer_norm),
                query=_dense(mha._query_dense_layer),
                key=_dense(mha._key_dense_layer),
                value=_dense(mha._value_dense_layer),
                attention_output=_dense(mha._output_dense_layer),
                ffn_norm=_layer_norm(norm),
                ffn_hidden=_dense(hidden),
                ffn_output=_dense(output),
                num_heads=mha.num_heads,
            )
        )
    if model.all_labels_embed is None:
        model.prepare_for_predict()
    return NumpyDIET(
        featurizers=list(config[FEATURIZERS]),
        sequence_to_dense=_dense(
            combining[f"sparse_dense.{FEATURE_TYPE_SEQUENCE}"]._tf_layers["sparse_to_dense"]
        ),
        sentence_to_dense=_dense(
            combining[f"sparse_dense.{FEATURE_TYPE_SENTENCE}"]._tf_layers["sparse_to_dense"]
        ),
        embedding=_dense(transformer._embedding),
        units=transformer.units,
        layers=layers,
        final_norm=_layer_norm(transformer._layer_norm),
        text_embed=_dense(model._tf_layers[f"embed.{TEXT}"]._dense),
        label_embeddings=np.asarray(model.all_labels_embed.numpy(), dtype=np.float32),
        angles=np.asarray(transformer._angles, dtype=np.float32),
    )


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class FastDIETClassifier(DIETClassifier):
    """``DIETClassifier`` whose ``process`` ranks intents with numpy.

    Training, persistence and the TensorFlow model are Rasa's; only the per-message
    forward pass is replaced. No ``fingerprint_addon``: the trained result depends on
    Rasa's training alone, so a change of this module need not retrain DIET.
    """

    _numpy_model: NumpyDIET | None = None

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FastDIETClassifier:
        """Loads the trained DIET, then copies its weights for numpy inference."""
        component: FastDIETClassifier = super().load(
            config, model_storage, resource, execution_context, **kwargs
        )
        component._numpy_model = component._build_numpy_model()
        return component

    def _build_numpy_model(self) -> NumpyDIET | None:
        if self.model is None:
            return None
        reasons = unsupported(self.component_config)
        if self._execution_context.is_finetuning:
            reasons.append("fine-tuning")
        if not reasons:
            try:
                return from_tensorflow(self.model, self.component_config)
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                reasons.append(f"unexpected model structure ({error!r})")
        logger.warning(
            "FastDIETClassifier: numpy inference does not support this model (%s); "
            "every message goes through TensorFlow, as DIETClassifier.",
            "; ".join(reasons),
        )
        return None

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets ``intent`` and ``intent_ranking`` as ``DIETClassifier.process`` does."""
        numpy_model = self._numpy_model
        if numpy_model is None or self._execution_context.should_add_diagnostic_data:
            # Diagnostic data are TensorFlow's intermediate tensors.
            result: list[Message] = super().process(messages)
            return result
        featurizers = self.component_config[FEATURIZERS]
        for message in messages:
            if not message.features_present(TEXT, featurizers):
                # DIET's model data are empty: no intent.
                scores = None
            else:
                scores = numpy_model.scores(message)
                if scores is None:
                    logger.warning(
                        "FastDIETClassifier: a message's features differ from the trained ones; "
                        "TensorFlow ranks it."
                    )
                    super().process([message])
                    continue
            label, ranking = self._predict_label(None if scores is None else {"i_scores": scores})
            message.set(INTENT, label, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
